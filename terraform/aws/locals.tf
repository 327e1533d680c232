# Zones, tags, the AMI and the cloud-init user data shared by the bastion and the instances.

data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:Only the first two zones by name are used, when availability_zones is empty, and subnets are created once; a zone AWS adds later sorts after them and moves nothing. Set availability_zones to pin zones explicitly.
  count = length(var.availability_zones) > 0 ? 0 : 1
  state = "available"

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

# The newest official Debian 12 image; instances ignore later AMI changes (see lifecycle in
# bastion.tf and vms.tf) so a new Debian point release never replaces the fleet by surprise.
data "aws_ami" "debian12" {
  count       = var.ami_id == null ? 1 : 0
  most_recent = true
  owners      = ["136693071363"]

  filter {
    name   = "name"
    values = ["debian-12-amd64-*"]
  }

  filter {
    name   = "architecture"
    values = ["x86_64"]
  }

  filter {
    name   = "virtualization-type"
    values = ["hvm"]
  }

  filter {
    name   = "root-device-type"
    values = ["ebs"]
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  azs    = length(var.availability_zones) > 0 ? var.availability_zones : slice(data.aws_availability_zones.available[0].names, 0, 2)
  ami_id = var.ami_id != null ? var.ami_id : data.aws_ami.debian12[0].id

  common_tags = merge(var.tags, { Env = var.env, Service = var.service })

  # The inventory's labels: the same lowercase keys as on GCP.
  bastion_labels = { role = "bastion", env = var.env, service = var.service }
  vm_labels      = { role = var.vm_role, env = var.env, service = var.service }

  # Debian's AMIs put the key pair on user admin; any other ssh_user is created here with the
  # same key, so the login name is the one the inventory says on both clouds.
  user_data = var.ssh_user == "admin" ? null : join("\n", [
    "#cloud-config",
    yamlencode({
      users = [
        "default",
        {
          name                = var.ssh_user
          shell               = "/bin/bash"
          sudo                = "ALL=(ALL) NOPASSWD:ALL"
          lock_passwd         = true
          ssh_authorized_keys = [trimspace(var.ssh_public_key)]
        },
      ]
    }),
  ])
}
