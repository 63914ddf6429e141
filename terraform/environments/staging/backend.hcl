# terraform init -backend-config=backend.hcl   (values from terraform/bootstrap outputs)
bucket         = "logistics-ai-tfstate-123456789012"
key            = "staging/terraform.tfstate"
region         = "eu-west-1"
dynamodb_table = "logistics-ai-tflock"
encrypt        = true
