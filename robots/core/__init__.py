"""The foundation every robot shares; no robocorp imports except in `runlog`."""
