#!/usr/bin/env bash
# Starts mockprove (and flowapp, when built) and prints where to go. Used by `make run`.
set -euo pipefail
bin=$1 addr=$2 app_addr=$3
url="http://$addr"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

"$bin/mockprove" -addr "$addr" &
pids+=($!)
for _ in $(seq 50); do curl -fs "$url/_mock/health" >/dev/null 2>&1 && break; sleep 0.1; done

if [ -x "$bin/flowapp" ]; then
  PROVE_BASE_URL="$url" FLOWAPP_ADDR="$app_addr" "$bin/flowapp" &
  pids+=($!)
fi

cat <<TXT

mockprove: Prove's platform, offline
  Prove API base URL    $url          (clients identity-client/identity-secret, prefill-client/prefill-secret)
  virtual phone (SMS)   $url/_mock/phone
  OpenAPI               $url/openapi/prove-v3.yaml
TXT
if [ -x "$bin/flowapp" ]; then
cat <<TXT
flowapp: a real Prove Identity integration running against it
  open                  http://$app_addr      (try 2009990039, or see the persona table in README.md)
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
