#!/usr/bin/python3
"""Checks a fleetload SigV4-presigned WebSocket URL with botocore's own SigV4 implementation.

Usage: verify_sigv4_botocore.py URL SECRET_ACCESS_KEY
The URL is wss://host/mqtt?X-Amz-...; the signed headers named in X-Amz-SignedHeaders are
rebuilt (host from the URL, connection: Upgrade), the canonical request and signature are
recomputed by botocore.auth.SigV4Auth, and compared. Exit 0 when they match, 1 otherwise,
2 on bad input. Run with Debian's /usr/bin/python3 and python3-botocore: an ImportError is a
failure, never a skip.
"""
import sys
from urllib.parse import urlsplit, unquote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    url, secret = sys.argv[1], sys.argv[2]
    parts = urlsplit(url)
    pairs = [p.partition('=') for p in parts.query.split('&')]
    params = {k: v for k, _, v in pairs}
    signature = params.get('X-Amz-Signature')
    token = params.get('X-Amz-Security-Token')
    if signature is None or 'X-Amz-Date' not in params:
        print('no X-Amz-Signature / X-Amz-Date in the URL')
        return 2
    # The token is not signed (omit_session_token): drop it and the signature.
    signed_query = '&'.join(f'{k}={v}' for k, _, v in pairs
                            if k not in ('X-Amz-Signature', 'X-Amz-Security-Token'))
    credential = unquote(params['X-Amz-Credential']).split('/')
    access_key, region, service = credential[0], credential[2], credential[3]
    signed_headers = unquote(params['X-Amz-SignedHeaders']).split(';')
    headers = {}
    if 'connection' in signed_headers:
        headers['Connection'] = 'Upgrade'
    request = AWSRequest(method='GET', url=f'https://{parts.netloc}{parts.path}?{signed_query}',
                         headers=headers)
    request.context['timestamp'] = params['X-Amz-Date']
    auth = SigV4Auth(Credentials(access_key, secret, unquote(token) if token else None),
                     service, region)
    to_sign = auth.headers_to_sign(request)
    if auth.signed_headers(to_sign) != ';'.join(signed_headers):
        print('signed headers differ: botocore', auth.signed_headers(to_sign),
              'url', ';'.join(signed_headers))
        return 1
    canonical = auth.canonical_request(request)
    expected = auth.signature(auth.string_to_sign(request, canonical), request)
    if expected != signature:
        print('signature mismatch: botocore', expected, 'url', signature)
        print('botocore canonical request:\n' + canonical)
        return 1
    print('ok', expected)
    return 0


if __name__ == '__main__':
    sys.exit(main())
