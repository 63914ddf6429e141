output "instance_id" {
  description = "Identifier of the primary instance (CloudWatch DBInstanceIdentifier)."
  value       = aws_db_instance.this.identifier
}

output "address" {
  description = "Host name of the primary (follows a Multi-AZ failover)."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "PostgreSQL port."
  value       = aws_db_instance.this.port
}

output "endpoint" {
  description = "host:port of the primary."
  value       = "${aws_db_instance.this.address}:${aws_db_instance.this.port}"
}

output "database_name" {
  description = "Name of the application database."
  value       = aws_db_instance.this.db_name
}

output "master_user_secret_arn" {
  description = "Secrets Manager secret (JSON with username and password) that RDS manages and rotates."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}

output "kms_key_arn" {
  description = "KMS key of the storage, Performance Insights and the master secret (tasks need kms:Decrypt for the secret)."
  value       = aws_kms_key.this.arn
}

output "security_group_id" {
  description = "Security group of the database."
  value       = aws_security_group.this.id
}

output "replica_instance_id" {
  description = "Identifier of the read replica (null without one)."
  value       = var.create_read_replica ? aws_db_instance.replica[0].identifier : null
}

output "replica_endpoint" {
  description = "host:port of the read replica (null without one)."
  value       = var.create_read_replica ? "${aws_db_instance.replica[0].address}:${aws_db_instance.replica[0].port}" : null
}
