# Names and labels shared by the bastion and the VMs.

locals {
  bastion_tag = "${var.name_prefix}-bastion"
  vm_tag      = "${var.name_prefix}-${replace(var.vm_role, "_", "-")}"

  common_labels  = merge(var.labels, { env = var.env, service = var.service })
  bastion_labels = merge(local.common_labels, { role = "bastion" })
  vm_labels      = merge(local.common_labels, { role = var.vm_role })

  vm_zones = length(var.vm_zones) > 0 ? var.vm_zones : [var.zone]
}
