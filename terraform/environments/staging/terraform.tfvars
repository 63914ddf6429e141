# Staging: production's shape (Multi-AZ, deletion protection, digests) at a smaller size; the
# Locust gate of the CD pipeline runs here, against the demo seed.
environment = "staging"
region      = "eu-west-1"
domain_name = "staging.logistics.example.com"

image        = "ghcr.io/example/logistics-ai@sha256:0000000000000000000000000000000000000000000000000000000000000000"
worker_image = "ghcr.io/example/logistics-ai-worker@sha256:0000000000000000000000000000000000000000000000000000000000000000"
proxy_image  = "ghcr.io/example/logistics-ai-proxy@sha256:0000000000000000000000000000000000000000000000000000000000000000"

vpc_cidr_block       = "10.20.0.0/16"
az_count             = 3
single_nat_gateway   = false
multi_az             = true
deletion_protection  = true
db_instance_class    = "db.t4g.large"
db_allocated_storage = 50
db_read_replica      = false
cache_node_type      = "cache.t4g.medium"
cache_replicas       = 1
app_cpu              = 1024
app_memory           = 2048
granian_workers      = 2
app_min_count        = 2
app_max_count        = 6
worker_min_count     = 1
worker_max_count     = 2
waf_rate_limit       = 20000
seed_demo            = true
alarm_emails         = ["oncall@example.com"]
# The demo accounts' password (the app refuses the public default outside dev); the CD load
# gate signs in with the same value (GitHub secret LOADTEST_PASSWORD).
app_secrets = {
  DEMO_PASSWORD = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:logistics-ai/staging/demo-password"
}
app_environment = {
  # The load gate signs in from one address: raise the app's own limits (docs/deploy.md).
  RATE_LIMIT_API_PER_PRINCIPAL = "100000"
  RATE_LIMIT_AUTH_PER_IP       = "1000"
  RATE_LIMIT_AUTH_PER_ACCOUNT  = "1000"
}
