# Security scanners (issue 10), included by the Makefile. `make test` depends on
# security-tools so a fresh machine gets every scanner tests/security needs:
#   .tools/security   semgrep (rules in security/semgrep/), pip-audit, cyclonedx-bom
#   make security-checks runs tests/security alone; make sbom writes sbom.cdx.json.

.PHONY: security-tools security-checks sbom
test: security-tools

security-tools: .tools/security/.installed .tools/security/.compiled

.tools/security/.installed: .ci/security-tools.txt .tools/bin/uv
	uv venv --quiet --allow-existing --python $(PYTHON) .tools/security
	uv pip install --quiet --python .tools/security/bin/python -r .ci/security-tools.txt
	@touch $@

# Bytecode written once, as for .venv (Makefile, .venv/.compiled): semgrep's wrapper,
# pip-audit and cyclonedx-py otherwise compile their modules on every run.
.tools/security/.compiled: .tools/security/.installed
	.tools/security/bin/python -m compileall -q -j 0 .tools/security/lib >/dev/null
	@touch $@

security-checks: install security-tools infra-tools
	pytest tests/security

sbom: install security-tools
	uv export --frozen --no-hashes --no-emit-project --format requirements-txt > .tools/requirements.lock.txt
	.tools/security/bin/cyclonedx-py requirements .tools/requirements.lock.txt --of JSON -o sbom.cdx.json
