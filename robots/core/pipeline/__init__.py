"""The nightly pipeline every robot shares: inbox -> read -> parse -> validate -> decide -> pay.

A robot supplies its datasets, its amount and its cross-checks (`robots.core.robot.Robot`);
everything else lives here once.
"""
