# Run once per AWS account, with local state, before any environment:
#   cd terraform/bootstrap && terraform init && terraform apply -var region=eu-west-1
# Then copy the outputs into each environment's backend.hcl. Keep this directory's
# terraform.tfstate safe (or migrate it into the bucket it created, docs/deploy-cloud.md).

terraform {
  required_version = ">= 1.5.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.80.0, < 6.0.0"
    }
  }
}

variable "region" {
  description = "AWS region of the state bucket and lock table."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "state_admin_arns" {
  description = "IAM roles allowed to read and write state (operators and the CD pipeline's OIDC role)."
  type        = list(string)
  default     = []
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project   = "logistics-ai"
      ManagedBy = "terraform"
    }
  }
}

module "bootstrap" {
  source = "../modules/bootstrap"

  name             = "logistics-ai"
  state_admin_arns = var.state_admin_arns
  tags             = { Component = "terraform-state" }
}

output "backend_config" {
  description = "Values for terraform/environments/*/backend.hcl."
  value       = module.bootstrap.backend_config
}
