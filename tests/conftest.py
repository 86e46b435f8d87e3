import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# EMBER_TEST_DEVICE=cuda runs the suite with ember's default device set there, so the
# differential tests compare ember-on-that-device against torch on the CPU (see README).
_device = os.environ.get("EMBER_TEST_DEVICE")
if _device:
    import ember

    ember.set_default_device(_device)
