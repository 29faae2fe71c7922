"""CourseGen Desktop: turn a topic and your own study material into a study course."""

__version__ = "0.1.0"
APP_NAME = "CourseGen Desktop"
