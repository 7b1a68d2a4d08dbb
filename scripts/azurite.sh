# Shared by the scripts that start, stop or need Azurite's Table service; sourced, not run.
# Paths are relative to the repository root, where every script runs.

AZURITE_HOST=127.0.0.1
AZURITE_TABLE_PORT=10002
AZURITE_DIR=.azurite
AZURITE_PID_FILE=$AZURITE_DIR/azurite.pid
AZURITE_LOG_FILE=$AZURITE_DIR/azurite.log

# Succeeds when something accepts connections on Azurite's Table port.
azurite_listening() {
  (exec 3<>"/dev/tcp/$AZURITE_HOST/$AZURITE_TABLE_PORT") 2>/dev/null
}

# Starts Azurite unless something already listens on its port; only an Azurite started here is
# stopped again, when the calling script exits.
azurite_for_this_script() {
  if ! azurite_listening; then
    scripts/start-azurite
    trap 'scripts/stop-azurite || true' EXIT
  fi
}
