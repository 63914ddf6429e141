# One environment = the same eight modules with this environment's variables. dev, staging and
# prod share this file byte for byte (a test checks it); only terraform.tfvars and backend.hcl
# differ.

locals {
  name = "${var.project}-${var.environment}"
  tags = merge(var.tags, {
    Project     = var.project
    Environment = var.environment
    ManagedBy   = "terraform"
    Repository  = "logistics-ai/terraform/environments/${var.environment}"
  })
}

module "network" {
  source = "../../modules/network"

  name               = local.name
  cidr_block         = var.vpc_cidr_block
  az_count           = var.az_count
  single_nat_gateway = var.single_nat_gateway
  tags               = local.tags
}

module "edge" {
  source = "../../modules/edge"

  name                = local.name
  vpc_id              = module.network.vpc_id
  vpc_cidr_block      = module.network.vpc_cidr_block
  public_subnet_ids   = module.network.public_subnet_ids
  domain_name         = var.domain_name
  route53_zone_id     = var.route53_zone_id
  certificate_arn     = var.certificate_arn
  deletion_protection = var.deletion_protection
  waf_rate_limit      = var.waf_rate_limit
  tags                = local.tags
}

module "storage" {
  source = "../../modules/storage"

  name              = local.name
  app_origin        = "https://${var.domain_name}"
  access_log_bucket = module.edge.access_log_bucket
  force_destroy     = !var.deletion_protection
  tags              = local.tags
}

module "database" {
  source = "../../modules/database"

  name                       = local.name
  environment                = var.environment
  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.private_subnet_ids
  allowed_security_group_ids = [module.app.app_security_group_id, module.app.worker_security_group_id]
  instance_class             = var.db_instance_class
  allocated_storage          = var.db_allocated_storage
  multi_az                   = var.multi_az
  backup_retention_days      = var.db_backup_retention_days
  deletion_protection        = var.deletion_protection
  skip_final_snapshot        = !var.deletion_protection
  create_read_replica        = var.db_read_replica
  tags                       = local.tags
}

module "cache" {
  source = "../../modules/cache"

  name                       = local.name
  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.private_subnet_ids
  allowed_security_group_ids = [module.app.app_security_group_id, module.app.worker_security_group_id]
  node_type                  = var.cache_node_type
  replicas                   = var.cache_replicas
  multi_az                   = var.multi_az
  tags                       = local.tags
}

module "app" {
  source = "../../modules/app"

  name                            = local.name
  environment                     = var.environment
  image                           = var.image
  worker_image                    = var.worker_image
  proxy_image                     = var.proxy_image
  require_image_digest            = var.require_image_digest
  registry_credentials_secret_arn = var.registry_credentials_secret_arn
  domain_name                     = var.domain_name
  vpc_id                          = module.network.vpc_id
  vpc_cidr_block                  = module.network.vpc_cidr_block
  private_subnet_ids              = module.network.private_subnet_ids
  alb_security_group_id           = module.edge.alb_security_group_id
  target_group_arn                = module.edge.target_group_arn
  alb_arn_suffix                  = module.edge.alb_arn_suffix
  target_group_arn_suffix         = module.edge.target_group_arn_suffix
  database_endpoint               = module.database.endpoint
  database_name                   = module.database.database_name
  database_secret_arn             = module.database.master_user_secret_arn
  database_app_role               = var.db_app_role
  redis_endpoint                  = module.cache.primary_endpoint
  redis_auth_secret_arn           = module.cache.auth_secret_arn
  secret_kms_key_arns             = [module.database.kms_key_arn, module.cache.kms_key_arn]
  proof_bucket_arn                = module.storage.bucket_arn
  proof_bucket_kms_key_arn        = module.storage.kms_key_arn
  # Proof-of-delivery storage (logistics_ai/settings.py): the task role's credentials, and
  # SSE-KMS with the bucket's key, which the bucket policy requires of every upload.
  app_environment = merge({
    STORAGE_BACKEND = "s3"
    S3_BUCKET       = module.storage.bucket_name
    S3_REGION       = var.region
    S3_SSE          = "aws:kms"
    S3_KMS_KEY_ID   = module.storage.kms_key_arn
    SEED_DEMO       = tostring(var.seed_demo)
  }, var.app_environment)
  app_secrets          = var.app_secrets
  granian_workers      = var.granian_workers
  app_cpu              = var.app_cpu
  app_memory           = var.app_memory
  app_desired_count    = var.app_min_count
  app_min_count        = var.app_min_count
  app_max_count        = var.app_max_count
  worker_desired_count = var.worker_min_count
  worker_max_count     = var.worker_max_count
  tags                 = local.tags
}

module "monitoring" {
  source = "../../modules/monitoring"

  name                       = local.name
  alarm_emails               = var.alarm_emails
  alb_arn_suffix             = module.edge.alb_arn_suffix
  target_group_arn_suffix    = module.edge.target_group_arn_suffix
  cluster_name               = module.app.cluster_name
  service_names              = [module.app.app_service_name, module.app.worker_service_name]
  db_instance_id             = module.database.instance_id
  db_replica_instance_id     = module.database.replica_instance_id
  cache_replication_group_id = module.cache.replication_group_id
  tags                       = local.tags
}
