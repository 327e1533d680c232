# inventory_outputs: the one place that shapes what `terraform output -json` shows for a fleet.
#
# Both clouds' root modules pass their bastion and VMs here and re-export these outputs, so the
# shape the inventory reader depends on (terraform/OUTPUTS.md) is written once and cannot drift
# between GCP and AWS. The module declares no provider and creates nothing: it is a pure function
# of its inputs, which lets tests/terraform/check.sh run it offline against the fixtures.

variable "cloud" {
  description = "Which cloud the fleet runs on; readers use it to name zones and tags correctly."
  type        = string

  validation {
    condition     = contains(["gcp", "aws"], var.cloud)
    error_message = "cloud must be \"gcp\" or \"aws\"."
  }
}

variable "ssh_user" {
  description = "Login user on the bastion and on every VM."
  type        = string
}

variable "bastion" {
  description = "The bastion host: the only machine with a public address."
  type = object({
    name       = string
    id         = string
    public_ip  = string
    private_ip = string
    zone       = string
    labels     = map(string)
  })
}

variable "vms" {
  description = "The private VMs. `extra` holds cloud-specific keys merged into each VM's object (AWS: az, tags)."
  type = list(object({
    name       = string
    id         = string
    private_ip = string
    zone       = string
    labels     = map(string)
    extra      = optional(any, {})
  }))
}

locals {
  bastion_login = "${var.ssh_user}@${var.bastion.public_ip}"

  # Sorted by name so the JSON is stable whatever order the cloud returned instances in.
  vm_names = sort([for vm in var.vms : vm.name])
  vm_by_name = {
    for vm in var.vms : vm.name => merge(
      {
        name       = vm.name
        id         = vm.id
        private_ip = vm.private_ip
        zone       = vm.zone
        labels     = vm.labels
      },
      vm.extra,
    )
  }
  vms = [for name in local.vm_names : local.vm_by_name[name]]

  # Ansible group names allow letters, digits and underscores only. Each VM's variables sit
  # under its role group; the env_/service_ groups only list it, so every host has one
  # definition of its variables.
  role_group = {
    for vm in var.vms : vm.name => replace(lookup(vm.labels, "role", "ungrouped"), "/[^a-z0-9_]/", "_")
  }
  keyed_groups = {
    for vm in var.vms : vm.name => compact([
      lookup(vm.labels, "env", "") == "" ? "" : replace("env_${vm.labels.env}", "/[^a-z0-9_]/", "_"),
      lookup(vm.labels, "service", "") == "" ? "" : replace("service_${vm.labels.service}", "/[^a-z0-9_]/", "_"),
    ])
  }
  role_groups      = sort(distinct(values(local.role_group)))
  keyed_group_list = sort(distinct(flatten(values(local.keyed_groups))))

  vm_host_vars = {
    for vm in var.vms : vm.name => {
      ansible_host            = vm.private_ip
      ansible_ssh_common_args = "-o ProxyJump=${local.bastion_login}"
      play_bastion            = local.bastion_login
      zone                    = vm.zone
      labels                  = vm.labels
    }
  }
}

output "cloud" {
  description = "\"gcp\" or \"aws\"."
  value       = var.cloud
}

output "ssh_user" {
  description = "Login user on the bastion and on every VM."
  value       = var.ssh_user
}

output "bastion" {
  description = "The bastion: SSH jump host with the fleet's only public address."
  value = {
    name       = var.bastion.name
    id         = var.bastion.id
    public_ip  = var.bastion.public_ip
    private_ip = var.bastion.private_ip
    zone       = var.bastion.zone
    labels     = var.bastion.labels
    user       = var.ssh_user
  }
}

output "vms" {
  description = "The private VMs, sorted by name."
  value       = local.vms
}

output "play_inventory" {
  description = "An Ansible-style YAML inventory as JSON (JSON is YAML): `terraform output -json play_inventory > hosts.yml`."
  value = {
    all = {
      vars = {
        ansible_user = var.ssh_user
        play_cloud   = var.cloud
      }
      children = merge(
        {
          bastion = {
            hosts = {
              (var.bastion.name) = {
                ansible_host = var.bastion.public_ip
                zone         = var.bastion.zone
                labels       = var.bastion.labels
              }
            }
          }
        },
        {
          for group in local.keyed_group_list : group => {
            hosts = {
              for name in local.vm_names : name => {}
              if contains(local.keyed_groups[name], group)
            }
          }
        },
        {
          for group in local.role_groups : group => {
            hosts = {
              for name in local.vm_names : name => local.vm_host_vars[name]
              if local.role_group[name] == group
            }
          }
        },
      )
    }
  }
}
