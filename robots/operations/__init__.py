"""Running the robots unattended: the schedule, catching up, retries, telling people."""
