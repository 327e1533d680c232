# What `terraform output -json` shows: the contract play's inventory reader depends on,
# documented in ../OUTPUTS.md and shaped by ../modules/inventory_outputs for both clouds.

module "inventory" {
  source = "../modules/inventory_outputs"

  cloud    = "aws"
  ssh_user = var.ssh_user

  bastion = {
    name       = aws_instance.bastion.tags["Name"]
    id         = aws_instance.bastion.id
    public_ip  = aws_eip.bastion.public_ip
    private_ip = aws_instance.bastion.private_ip
    zone       = aws_instance.bastion.availability_zone
    labels     = local.bastion_labels
  }

  vms = [
    for vm in aws_instance.vm : {
      name       = vm.tags["Name"]
      id         = vm.id
      private_ip = vm.private_ip
      zone       = vm.availability_zone
      labels     = local.vm_labels
      # AWS-only keys: az repeats zone under EC2's name; tags are the instance's own tags.
      extra = {
        az   = vm.availability_zone
        tags = vm.tags
      }
    }
  ]
}

output "cloud" {
  description = "Which cloud this fleet runs on: \"aws\"."
  value       = module.inventory.cloud
}

output "ssh_user" {
  description = "Login user on the bastion and on every instance."
  value       = module.inventory.ssh_user
}

output "bastion" {
  description = "The bastion: name, id, public_ip (its Elastic IP), private_ip, zone, labels, user."
  value       = module.inventory.bastion
}

output "vms" {
  description = "The private instances sorted by name: name, id, private_ip, zone, labels, and AWS's az and tags."
  value       = module.inventory.vms
}

output "play_inventory" {
  description = "Ansible-style YAML inventory as JSON: groups bastion, <vm_role>, env_<env>, service_<service>."
  value       = module.inventory.play_inventory
}
