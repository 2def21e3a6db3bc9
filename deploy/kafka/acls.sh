#!/usr/bin/env bash
# Gives each pilotage component only what it needs on the broker (StandardAuthorizer; decision
# 0032, docs/operations.md "Kafka principals and ACLs"). Idempotent: adding an ACL twice is a no-op.
# Usage: deploy/kafka/acls.sh --bootstrap-server HOST:PORT --command-config FILE [--dry-run]
#          [--gateway USER] [--projector USER] [--penalty-job USER] [--query USER] [--pilot USER]...
#   --command-config  Kafka's tool settings of a super user (or one allowed to Alter the cluster).
#   Users default to gateway, projector, penalty-job, query, pilot; --pilot may be repeated, one
#   SCRAM user per person, so that steering commands record who decided.
#   --dry-run prints the kafka-acls commands instead of running them.
# Env: KAFKA_ACLS, the ACL tool (default kafka-acls.sh from Kafka's distribution);
#      PILOTAGE_GROUP (pilotage-projector: the projector's group, and the prefix of its rebuilds'),
#      PILOTAGE_TRANSACTIONAL_ID (pilotage-penalty-job).
#
# What each principal may do:
#   gateway      Write activity and rejected (idempotent producer: Write implies Describe).
#   projector    Read + DescribeConfigs activity and contract (the retention guard), Read
#                rejected (the gateway's refusals on the quality page, decision 0045), Read its
#                groups (prefix), Write dead letters.
#   penalty-job  Write contract, Write its transactional id; Describe activity (end offsets: it
#                refuses a store behind the log, decision 0028).
#   pilot        Write contract (steering commands); Describe activity (statement --issue checks
#                the store against the end offsets).
#   query        Describe activity (end offsets for the freshness shown); Write contract
#                (decisions taken on the dashboard, decision 0037; Write implies Describe).
set -euo pipefail

ACTIVITY=pilotage.activity.v1
CONTRACT=pilotage.contract.v1
REJECTED=pilotage.rejected.v1
DEADLETTER=pilotage.deadletter.v1
GROUP=${PILOTAGE_GROUP:-pilotage-projector}
TXN_ID=${PILOTAGE_TRANSACTIONAL_ID:-pilotage-penalty-job}

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
die() { echo "acls: error: $*" >&2; exit 2; }

BOOTSTRAP="" CONFIG="" DRY=0
GATEWAY=gateway PROJECTOR=projector PENALTY=penalty-job QUERY=query
PILOTS=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --dry-run) DRY=1; shift ;;
    --bootstrap-server|--command-config|--gateway|--projector|--penalty-job|--query|--pilot)
      [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value"
      case "$1" in
        --bootstrap-server) BOOTSTRAP=$2 ;;
        --command-config) CONFIG=$2 ;;
        --gateway) GATEWAY=$2 ;;
        --projector) PROJECTOR=$2 ;;
        --penalty-job) PENALTY=$2 ;;
        --query) QUERY=$2 ;;
        --pilot) PILOTS+=("$2") ;;
      esac
      shift 2 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done
[ -n "$BOOTSTRAP" ] || die "--bootstrap-server is required"
[ -n "$CONFIG" ] || die "--command-config is required"
[ "$DRY" = 1 ] || [ -r "$CONFIG" ] || die "cannot read --command-config $CONFIG"
[ ${#PILOTS[@]} -gt 0 ] || PILOTS=(pilot)
read -r -a TOOL <<< "${KAFKA_ACLS:-kafka-acls.sh}"

# allow USER ARGS...: one kafka-acls --add call.
allow() {
  local user=$1; shift
  local -a cmd=("${TOOL[@]}" --bootstrap-server "$BOOTSTRAP" --command-config "$CONFIG"
    --add --allow-principal "User:$user" --allow-host '*' "$@")
  if [ "$DRY" = 1 ]; then echo "${cmd[*]}"; else "${cmd[@]}" > /dev/null; fi
}

# The JVM tool is slow to start: the calls run in parallel, and any failure fails the script.
pids=()
allow "$GATEWAY" --operation Write --topic "$ACTIVITY" --topic "$REJECTED" & pids+=($!)
allow "$PROJECTOR" --operation Read --operation DescribeConfigs \
  --topic "$ACTIVITY" --topic "$CONTRACT" & pids+=($!)
allow "$PROJECTOR" --operation Read --topic "$REJECTED" & pids+=($!)
allow "$PROJECTOR" --operation Write --topic "$DEADLETTER" & pids+=($!)
allow "$PROJECTOR" --operation Read --resource-pattern-type prefixed --group "$GROUP" & pids+=($!)
allow "$PENALTY" --operation Write --topic "$CONTRACT" --transactional-id "$TXN_ID" & pids+=($!)
allow "$PENALTY" --operation Describe --topic "$ACTIVITY" & pids+=($!)
allow "$QUERY" --operation Describe --topic "$ACTIVITY" & pids+=($!)
allow "$QUERY" --operation Write --topic "$CONTRACT" & pids+=($!)
for p in "${PILOTS[@]}"; do
  allow "$p" --operation Write --topic "$CONTRACT" & pids+=($!)
  allow "$p" --operation Describe --topic "$ACTIVITY" & pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
[ "$failed" = 0 ] || { echo "acls: error: at least one kafka-acls call failed (above)" >&2; exit 1; }
echo "acls: set for gateway=$GATEWAY projector=$PROJECTOR penalty-job=$PENALTY query=$QUERY pilots=${PILOTS[*]}"
