# Production: the same composition as staging, larger and with every safety on.
environment = "prod"
region      = "eu-west-1"
domain_name = "logistics.example.com"
# route53_zone_id = "Z0123456789ABCDEFGHIJ"   # or certificate_arn = "arn:aws:acm:..."

# The pipeline passes the images by digest: -var image=ghcr.io/OWNER/logistics-ai@sha256:...
image        = "ghcr.io/example/logistics-ai@sha256:0000000000000000000000000000000000000000000000000000000000000000"
worker_image = "ghcr.io/example/logistics-ai-worker@sha256:0000000000000000000000000000000000000000000000000000000000000000"
proxy_image  = "ghcr.io/example/logistics-ai-proxy@sha256:0000000000000000000000000000000000000000000000000000000000000000"

vpc_cidr_block       = "10.30.0.0/16"
az_count             = 3
single_nat_gateway   = false
multi_az             = true
deletion_protection  = true
db_instance_class    = "db.r6g.large"
db_allocated_storage = 100
db_read_replica      = true
cache_node_type      = "cache.r7g.large"
cache_replicas       = 2
app_cpu              = 2048
app_memory           = 4096
granian_workers      = 2
app_min_count        = 3
app_max_count        = 20
worker_min_count     = 2
worker_max_count     = 6
waf_rate_limit       = 3000
seed_demo            = false
alarm_emails         = ["oncall@example.com"]
