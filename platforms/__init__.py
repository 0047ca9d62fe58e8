"""Platform clients: one module per social platform, each implementing core's PlatformClient."""
