"""crhelper as this library bundles it: written by ``make pins`` (tools/pins.py); do not edit.

Each module's sha256 as the RECORD of the crhelper wheel that requirements-dev.lock
pins states it. Bundling copies these files and nothing else, and refuses a
crhelper whose bytes differ.
"""

VERSION = "2.0.12"
MODULES = {
    "crhelper/__init__.py": "sha256=VSvHU2MKgP96DHSDXR1OYxnbC8j7yfuVhZubBLU7Pns",
    "crhelper/log_helper.py": "sha256=18n4WKlGgxXL_iiYPqE8dWv9TW4sPZc4Ae3px5dbHmY",
    "crhelper/resource_helper.py": "sha256=RPV8A6KxZl70ey8NI2BYS3nc78M9PQiBkGoi8NGo9yQ",
    "crhelper/utils.py": "sha256=v46DO_H-1RvoW0BpHmhmBiFHEKnZrLMF15QNiF1e8zg",
}
