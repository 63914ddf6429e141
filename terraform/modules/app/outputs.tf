output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "app_service_name" {
  description = "Name of the app service."
  value       = aws_ecs_service.app.name
}

output "worker_service_name" {
  description = "Name of the worker service."
  value       = aws_ecs_service.worker.name
}

output "app_security_group_id" {
  description = "Security group of the app tasks (database and cache allow it)."
  value       = aws_security_group.app.id
}

output "worker_security_group_id" {
  description = "Security group of the worker and migration tasks (database and cache allow it)."
  value       = aws_security_group.worker.id
}

output "migration_task_definition" {
  description = "Family of the one-off migration task definition (aws ecs run-task --task-definition)."
  value       = aws_ecs_task_definition.migrate.family
}

output "migration_network_configuration" {
  description = "awsvpcConfiguration for `aws ecs run-task --network-configuration` of the migration task."
  value = jsonencode({
    awsvpcConfiguration = {
      subnets        = var.private_subnet_ids
      securityGroups = [aws_security_group.worker.id]
      assignPublicIp = "DISABLED"
    }
  })
}

output "secret_key_secret_arn" {
  description = "Secrets Manager secret holding SECRET_KEY."
  value       = aws_secretsmanager_secret.secret_key.arn
}

output "log_group_names" {
  description = "CloudWatch log groups of the tasks, by container role."
  value       = { for role, group in aws_cloudwatch_log_group.this : role => group.name }
}

output "image" {
  description = "App image the services run (the digest the pipeline deployed)."
  value       = var.image
}

output "database_app_secret_arn" {
  description = "Secrets Manager secret (JSON username/password) of the app role the app and worker connect as; the migration task sets this password on the role."
  value       = aws_secretsmanager_secret.db_app.arn
}
