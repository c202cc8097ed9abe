"""Reports from outside the command center: the external channels (12345 hotline, 110 transfers,
the WeChat and web portals) and the video-detection system with its registered cameras."""
