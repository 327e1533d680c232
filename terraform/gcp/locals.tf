# Names, labels and metadata shared by the bastion and the VMs.

locals {
  bastion_tag = "${var.name_prefix}-bastion"
  vm_tag      = "${var.name_prefix}-${replace(var.vm_role, "_", "-")}"

  common_labels  = merge(var.labels, { env = var.env, service = var.service })
  bastion_labels = merge(local.common_labels, { role = "bastion" })
  vm_labels      = merge(local.common_labels, { role = var.vm_role })

  vm_zones = length(var.vm_zones) > 0 ? var.vm_zones : [var.zone]

  # Project-wide keys are blocked so that only this key (or OS Login) opens the machines; the
  # serial console stays off because it bypasses the firewall.
  instance_metadata = merge(
    {
      block-project-ssh-keys = "TRUE"
      enable-oslogin         = var.os_login ? "TRUE" : "FALSE"
      serial-port-enable     = "FALSE"
    },
    var.os_login ? {} : { ssh-keys = "${var.ssh_user}:${trimspace(var.ssh_public_key)}" },
  )
}
