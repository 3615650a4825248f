"""The installable app: the web app manifest, the service worker and the offline page."""
