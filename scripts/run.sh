#!/usr/bin/env bash
# Starts mockprove and prints a curl walkthrough. Used by `make run`.
set -euo pipefail
bin=$1
addr=$2
url="http://$addr"
cat <<TXT
mockprove: Prove's platform, offline. Base URL: $url

Walk a Prove Identity flow (Martina Goodram, a short-term sandbox user):
  TOKEN=\$(curl -s $url/token -d grant_type=client_credentials -d client_id=identity-client -d client_secret=identity-secret | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
  CID=\$(curl -s $url/v3/start -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
        -d '{"flowType":"mobile","phoneNumber":"2001004000"}' | sed 's/.*"correlationId":"\([^"]*\)".*/\1/')
  curl -s $url/v3/validate -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' -d "{\"correlationId\":\"\$CID\"}"
  curl -s $url/v3/complete -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
        -d "{\"correlationId\":\"\$CID\",\"individual\":{\"firstName\":\"Martina\",\"lastName\":\"Goodram\",\"ssn\":\"490959347\"}}"

The OpenAPI document: $url/openapi/prove-v3.yaml   Personas: $url/openapi/personas.yaml
Press Ctrl-C to stop.
TXT
exec "$bin" -addr "$addr"
