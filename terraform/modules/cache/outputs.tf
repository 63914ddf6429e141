output "replication_group_id" {
  description = "ID of the replication group (CloudWatch dimension)."
  value       = aws_elasticache_replication_group.this.id
}

output "primary_endpoint" {
  description = "host:port of the primary endpoint (follows a failover). Connect with rediss:// (TLS)."
  value       = "${aws_elasticache_replication_group.this.primary_endpoint_address}:${local.port}"
}

output "reader_endpoint" {
  description = "host:port of the reader endpoint."
  value       = "${aws_elasticache_replication_group.this.reader_endpoint_address}:${local.port}"
}

output "auth_secret_arn" {
  description = "Secrets Manager secret holding the AUTH token (plain string)."
  value       = aws_secretsmanager_secret.auth.arn
}

output "kms_key_arn" {
  description = "KMS key of the data at rest and the AUTH secret (tasks need kms:Decrypt for the secret)."
  value       = aws_kms_key.this.arn
}

output "security_group_id" {
  description = "Security group of the cache."
  value       = aws_security_group.this.id
}

output "member_clusters" {
  description = "Cache cluster IDs of the group's nodes (CloudWatch CacheClusterId dimension)."
  value       = aws_elasticache_replication_group.this.member_clusters
}
