# Examples for `semgrep --test security/semgrep`: each `ruleid:` line must be found by the rule
# named, each `ok:` line must not. Never imported or run.
# ruff: noqa
import os
import pickle
import random
import subprocess
import time

import httpx
import jwt
import reflex as rx
import yaml
from fastapi.middleware.cors import CORSMiddleware
from loguru import logger
from sqlalchemy import text

# ruleid: jwt-decode-without-algorithms
jwt.decode(token, key)
# ok: jwt-decode-without-algorithms
jwt.decode(token, key, algorithms=["HS256"])

# ruleid: subprocess-shell-true
subprocess.run(command, shell=True)
# ruleid: subprocess-shell-true
os.system("ls " + name)
# ok: subprocess-shell-true
subprocess.run(["ls", name], check=True)

# ruleid: tls-verification-disabled
httpx.get(url, verify=False)
# ok: tls-verification-disabled
httpx.get(url)

# ruleid: sql-built-from-fstring
session.execute(text(f"SELECT * FROM users WHERE email = '{email}'"))
# ok: sql-built-from-fstring
session.execute(text("SELECT * FROM users WHERE email = :email"), {"email": email})

# ruleid: unsafe-deserialisation
pickle.loads(blob)
# ruleid: unsafe-deserialisation
yaml.load(document)
# ok: unsafe-deserialisation
yaml.safe_load(document)

# ruleid: cors-any-origin-with-credentials
CORSMiddleware(app, allow_origins=["*"], allow_credentials=True)
# ok: cors-any-origin-with-credentials
CORSMiddleware(app, allow_origins=["https://example.com"], allow_credentials=True)

# ruleid: secret-in-log-call
logger.info("signing in {}", user.password)
# ok: secret-in-log-call
logger.info("signing in {}", user.email)


class S(rx.State):
    @rx.event
    def load(self):
        # ruleid: reflex-sync-handler-blocks-loop
        with session_scope() as session:
            pass

    @rx.event
    async def load_async(self):
        # ok: reflex-sync-handler-blocks-loop
        await run(lambda session: None)


# ruleid: random-for-secrets
reset_token = random.choice(alphabet)
# ok: random-for-secrets
delay = random.uniform(0, 1)
