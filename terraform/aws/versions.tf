# Terraform and provider versions for the AWS fleet. The lock file (.terraform.lock.hcl) that
# `terraform init` writes pins exact provider builds: commit it next to this file.

terraform {
  # 1.9 is the first release whose variable validations may refer to other variables
  # (allowed_ssh_cidrs checks allow_ssh_from_anywhere).
  required_version = ">= 1.9.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

provider "aws" {
  region = var.region
}
