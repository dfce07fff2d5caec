#!/usr/bin/env bash
# Starts mockprove (and flowapp, when built) and prints where to go. Used by `make run`.
set -euo pipefail
bin=$1 addr=$2 app_addr=$3
url="http://$addr"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# wait_up NAME PID URL [CURL ARGS...]: waits up to ~5 s for URL to answer 2xx;
# exits with an error (stopping whatever was started) if NAME's process ends
# first or never answers.
wait_up() {
  local name=$1 pid=$2 check=$3
  shift 3
  for _ in $(seq 50); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "run.sh: $name exited before it answered on $check (see its errors above)" >&2
      exit 1
    fi
    # (alive after the answer too: not some other server holding the port)
    if curl -fs -o /dev/null --max-time 1 "$@" "$check" 2>/dev/null && sleep 0.2 && kill -0 "$pid" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "run.sh: $name did not answer on $check within 5 s" >&2
  exit 1
}

"$bin/mockprove" -addr "$addr" &
pids+=($!)
# /healthz needs no token and stays with MOCKPROVE_CONTROL=false.
wait_up mockprove "$!" "$url/healthz"

if [ -x "$bin/flowapp" ]; then
  PROVE_BASE_URL="$url" FLOWAPP_ADDR="$app_addr" "$bin/flowapp" &
  pids+=($!)
  wait_up flowapp "$!" "http://$app_addr/healthz"
fi

cat <<TXT

mockprove: Prove's platform, offline
  Prove API base URL    $url          (clients identity-client/identity-secret, prefill-client/prefill-secret, unify-client/unify-secret)
  dashboard             $url/_mock/ui/    (the virtual phone, flows, personas, clock and faults, live)
  OpenAPI               $url/openapi/prove-v3.yaml
TXT
if [ -x "$bin/flowapp" ]; then
cat <<TXT
flowapp: a real Prove Identity integration running against it
  open                  http://$app_addr      (try 2009990039, or see the personas in docs/personas.md)
TXT
fi
cat <<TXT

Walk a Prove Identity flow with curl (Martina Goodram, short-term user):
  U=$url
  TOKEN=\$(curl -s \$U/token -d grant_type=client_credentials -d client_id=identity-client -d client_secret=identity-secret | jq -r .access_token)
  CID=\$(curl -s \$U/v3/start -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' -d '{"flowType":"mobile","phoneNumber":"2001004000"}' | jq -r .correlationId)
  curl -s \$U/v3/validate -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' -d "{\"correlationId\":\"\$CID\"}"
  curl -s \$U/v3/complete -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' -d "{\"correlationId\":\"\$CID\",\"individual\":{\"firstName\":\"Martina\",\"lastName\":\"Goodram\",\"ssn\":\"490959347\"}}"

Press Ctrl-C to stop.
TXT
wait -n "${pids[@]}"
