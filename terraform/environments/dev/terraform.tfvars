# Dev: smallest footprint, two AZs, one NAT gateway, no Multi-AZ, destroyable; images by tag.
environment = "dev"
region      = "eu-west-1"
domain_name = "dev.logistics.example.com"

image                = "ghcr.io/example/logistics-ai:main"
worker_image         = "ghcr.io/example/logistics-ai-worker:main"
proxy_image          = "ghcr.io/example/logistics-ai-proxy:main"
require_image_digest = false

vpc_cidr_block           = "10.10.0.0/16"
az_count                 = 2
single_nat_gateway       = true
multi_az                 = false
deletion_protection      = false
db_instance_class        = "db.t4g.micro"
db_allocated_storage     = 20
db_backup_retention_days = 7
db_read_replica          = false
cache_node_type          = "cache.t4g.micro"
cache_replicas           = 0
app_cpu                  = 512
app_memory               = 1024
granian_workers          = 1
app_min_count            = 1
app_max_count            = 2
worker_min_count         = 1
worker_max_count         = 1
seed_demo                = true
