# What `terraform output -json` shows: the contract play's inventory reader depends on,
# documented in ../OUTPUTS.md and shaped by ../modules/inventory_outputs for both clouds.

module "inventory" {
  source = "../modules/inventory_outputs"

  cloud    = "gcp"
  ssh_user = var.ssh_user

  bastion = {
    name       = google_compute_instance.bastion.name
    id         = google_compute_instance.bastion.instance_id
    public_ip  = google_compute_address.bastion.address
    private_ip = google_compute_instance.bastion.network_interface[0].network_ip
    zone       = google_compute_instance.bastion.zone
    labels     = local.bastion_labels
  }

  vms = [
    for vm in google_compute_instance.vm : {
      name       = vm.name
      id         = vm.instance_id
      private_ip = vm.network_interface[0].network_ip
      zone       = vm.zone
      labels     = local.vm_labels
    }
  ]
}

output "cloud" {
  description = "Which cloud this fleet runs on: \"gcp\"."
  value       = module.inventory.cloud
}

output "ssh_user" {
  description = "Login user on the bastion and on every VM."
  value       = module.inventory.ssh_user
}

output "bastion" {
  description = "The bastion: name, id, public_ip, private_ip, zone, labels, user."
  value       = module.inventory.bastion
}

output "vms" {
  description = "The private VMs sorted by name: name, id, private_ip, zone, labels."
  value       = module.inventory.vms
}

output "play_inventory" {
  description = "Ansible-style YAML inventory as JSON: groups bastion, <vm_role>, env_<env>, service_<service>."
  value       = module.inventory.play_inventory
}
