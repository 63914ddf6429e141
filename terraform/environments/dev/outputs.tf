output "public_url" {
  description = "Public HTTPS origin."
  value       = module.edge.public_url
}

output "alb_dns_name" {
  description = "Load balancer DNS name (point a CNAME here when DNS is not in Route 53)."
  value       = module.edge.alb_dns_name
}

output "cluster_name" {
  description = "ECS cluster (aws ecs run-task --cluster)."
  value       = module.app.cluster_name
}

output "app_service_name" {
  description = "ECS app service."
  value       = module.app.app_service_name
}

output "worker_service_name" {
  description = "ECS worker service."
  value       = module.app.worker_service_name
}

output "migration_task_definition" {
  description = "One-off migration task definition family."
  value       = module.app.migration_task_definition
}

output "migration_network_configuration" {
  description = "Network configuration JSON for the migration task."
  value       = module.app.migration_network_configuration
}

output "image" {
  description = "App image the environment runs (rollback reads the previous value from state history)."
  value       = module.app.image
}

output "proof_bucket" {
  description = "Proof-of-delivery bucket."
  value       = module.storage.bucket_name
}

output "database_endpoint" {
  description = "PostgreSQL primary host:port."
  value       = module.database.endpoint
}

output "database_secret_arn" {
  description = "RDS-managed master secret."
  value       = module.database.master_user_secret_arn
}

output "database_app_secret_arn" {
  description = "Secrets Manager secret of the app role the app and worker connect as (the owner's is database_secret_arn, for the migration task only)."
  value       = module.app.database_app_secret_arn
}

output "alarm_topic_arn" {
  description = "SNS topic of the alarms."
  value       = module.monitoring.sns_topic_arn
}
