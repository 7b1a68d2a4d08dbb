# Shared by the scripts that start, stop or need Azurite; sourced, not run. Azurite's Table service
# holds the SCIM data, its Queue service takes pushed change events (docs/events.md); each runs as
# a process of its own (azurite-table, azurite-queue), so that one already running is reused.
# Paths are relative to the repository root, where every script runs.

AZURITE_HOST=127.0.0.1
AZURITE_SERVICES="table queue"
AZURITE_DIR=.azurite

# The port of a service (Azurite's defaults, which UseDevelopmentStorage=true names).
azurite_port() {
  case "$1" in
    table) echo 10002 ;;
    queue) echo 10001 ;;
    *) echo "azurite.sh: no Azurite service $1" >&2; return 1 ;;
  esac
}

azurite_pid_file() { echo "$AZURITE_DIR/azurite-$1.pid"; }
azurite_log_file() { echo "$AZURITE_DIR/azurite-$1.log"; }

# Succeeds when something accepts connections on the port of the service given (default: every service).
azurite_listening() {
  local service
  for service in ${1:-$AZURITE_SERVICES}; do
    (exec 3<>"/dev/tcp/$AZURITE_HOST/$(azurite_port "$service")") 2>/dev/null || return 1
  done
}

# Starts the services nothing listens for yet; only those started here are stopped again, when
# the calling script exits.
azurite_for_this_script() {
  local service missing=()
  for service in $AZURITE_SERVICES; do
    azurite_listening "$service" || missing+=("$service")
  done
  if ((${#missing[@]})); then
    scripts/start-azurite "${missing[@]}"
    # shellcheck disable=SC2064 # the services are known now, and stay what they are
    trap "scripts/stop-azurite ${missing[*]} || true" EXIT
  fi
}
