#!/usr/bin/env bash
# Writes a throwaway certificate authority and a server certificate for
# 127.0.0.1 and localhost into DIR (ca.crt, server.crt, server.key), for the
# test database servers' TLS. Nothing here is a secret: the files live as
# long as the test server's directory.
#   scripts/test-tls-certs.sh DIR
set -euo pipefail
DIR=${1:?usage: $0 DIR}
cd "$DIR"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=outbound test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout ca.key -out ca.crt 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' > server.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 \
  -extfile server.ext -out server.crt 2>/dev/null
rm -f ca.key server.csr server.ext ca.srl
chmod 600 server.key
