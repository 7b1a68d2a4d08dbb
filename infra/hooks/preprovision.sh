#!/bin/sh
# azd preprovision hook: register the resource providers a new subscription may lack.
set -eu
exec bash ./scripts/deploy-steps register-providers
