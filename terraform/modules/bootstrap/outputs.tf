output "state_bucket" {
  description = "S3 bucket of the Terraform state (backend \"s3\" bucket)."
  value       = aws_s3_bucket.state.id
}

output "lock_table" {
  description = "DynamoDB table of the state locks (backend \"s3\" dynamodb_table)."
  value       = aws_dynamodb_table.locks.name
}

output "kms_key_arn" {
  description = "KMS key of the state (backend \"s3\" kms_key_id)."
  value       = aws_kms_key.state.arn
}

output "backend_config" {
  description = "Backend settings for `terraform init -backend-config=...` of an environment (add key)."
  value = {
    bucket         = aws_s3_bucket.state.id
    dynamodb_table = aws_dynamodb_table.locks.name
    kms_key_id     = aws_kms_key.state.arn
    encrypt        = true
  }
}
