output "bucket_name" {
  description = "Name of the proof-of-delivery bucket."
  value       = aws_s3_bucket.proofs.id
}

output "bucket_arn" {
  description = "ARN of the proof-of-delivery bucket (the task role may read and write its objects)."
  value       = aws_s3_bucket.proofs.arn
}

output "bucket_regional_domain_name" {
  description = "Regional endpoint host of the bucket."
  value       = aws_s3_bucket.proofs.bucket_regional_domain_name
}

output "kms_key_arn" {
  description = "KMS key encrypting the objects (the task role needs Encrypt/Decrypt/GenerateDataKey on it)."
  value       = aws_kms_key.this.arn
}
