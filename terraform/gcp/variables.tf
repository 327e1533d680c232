# Inputs of the GCP fleet. Values without a default (project, env, allowed_ssh_cidrs,
# ssh_public_key) must be given, e.g. in terraform.tfvars (see terraform.tfvars.example).

variable "project" {
  description = "GCP project id that owns every resource of the fleet."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project))
    error_message = "project must be a GCP project id: 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "GCP region of the network, the NAT and the VMs, e.g. europe-west1."
  type        = string
  default     = "europe-west1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must look like europe-west1 or us-central1."
  }
}

variable "zone" {
  description = "Zone of the bastion, and of the VMs unless vm_zones is set. Must be in region."
  type        = string
  default     = "europe-west1-b"

  validation {
    condition     = startswith(var.zone, "${var.region}-") && can(regex("-[a-z]$", var.zone))
    error_message = "zone must be a zone of the chosen region, e.g. europe-west1-b for region europe-west1."
  }
}

variable "vm_zones" {
  description = "Zones to spread the VMs over, round-robin. Empty means every VM goes to zone."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for z in var.vm_zones : startswith(z, "${var.region}-") && can(regex("-[a-z]$", z))])
    error_message = "every vm_zones entry must be a zone of the chosen region, e.g. europe-west1-c."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name (and of the service account ids, which allow 30 characters in all)."
  type        = string
  default     = "fleet"

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$", var.name_prefix))
    error_message = "name_prefix must be 1-20 lowercase letters, digits or hyphens, start with a letter and not end with a hyphen."
  }
}

variable "vm_count" {
  description = "How many private app VMs to run."
  type        = number
  default     = 2

  validation {
    condition     = var.vm_count >= 0 && var.vm_count <= 50 && floor(var.vm_count) == var.vm_count
    error_message = "vm_count must be a whole number from 0 to 50."
  }
}

variable "bastion_machine_type" {
  description = "Machine type of the bastion; it only forwards SSH, so the smallest shared-core type does."
  type        = string
  default     = "e2-micro"

  validation {
    condition     = can(regex("^[a-z0-9]+-[a-z0-9-]+$", var.bastion_machine_type))
    error_message = "bastion_machine_type must be a GCE machine type name such as e2-micro."
  }
}

variable "vm_machine_type" {
  description = "Machine type of the app VMs (they run Docker and the service)."
  type        = string
  default     = "e2-small"

  validation {
    condition     = can(regex("^[a-z0-9]+-[a-z0-9-]+$", var.vm_machine_type))
    error_message = "vm_machine_type must be a GCE machine type name such as e2-small."
  }
}

variable "image" {
  description = "Boot image of every machine: a Debian 12 image or family (play's agent is built and tested for Debian 12)."
  type        = string
  default     = "debian-cloud/debian-12"

  validation {
    condition     = length(trimspace(var.image)) > 0
    error_message = "image must name an image or image family, e.g. debian-cloud/debian-12."
  }
}

variable "boot_disk_size_gb" {
  description = "Boot disk size of every machine, in GB (Docker images live there)."
  type        = number
  default     = 20

  validation {
    condition     = var.boot_disk_size_gb >= 10 && var.boot_disk_size_gb <= 2000
    error_message = "boot_disk_size_gb must be between 10 and 2000."
  }
}

variable "boot_disk_kms_key" {
  description = "Optional Cloud KMS key (self link) to encrypt boot disks with (CMEK). Null keeps Google-managed encryption."
  type        = string
  default     = null

  validation {
    condition     = var.boot_disk_kms_key == null || can(regex("^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$", var.boot_disk_kms_key))
    error_message = "boot_disk_kms_key must be null or projects/P/locations/L/keyRings/R/cryptoKeys/K."
  }
}

variable "subnet_cidr" {
  description = "IPv4 range of the fleet's subnet (bastion and VMs)."
  type        = string
  default     = "10.20.0.0/24"

  validation {
    condition = (
      can(cidrnetmask(var.subnet_cidr))
      && can(cidrsubnet(var.subnet_cidr, 0, 0))
      && try(cidrsubnet(var.subnet_cidr, 0, 0) == var.subnet_cidr, false)
      && try(tonumber(split("/", var.subnet_cidr)[1]) >= 16 && tonumber(split("/", var.subnet_cidr)[1]) <= 29, false)
    )
    error_message = "subnet_cidr must be an IPv4 network address with a prefix from /16 to /29, e.g. 10.20.0.0/24."
  }
}

variable "allowed_ssh_cidrs" {
  description = "IPv4 ranges allowed to reach the bastion on port 22 (your office or VPN egress). 0.0.0.0/0 needs allow_ssh_from_anywhere = true."
  type        = list(string)

  validation {
    condition     = length(var.allowed_ssh_cidrs) > 0
    error_message = "allowed_ssh_cidrs must list at least one range, e.g. [\"203.0.113.7/32\"]."
  }

  validation {
    condition     = alltrue([for c in var.allowed_ssh_cidrs : can(cidrnetmask(c)) && try(cidrsubnet(c, 0, 0) == c, false)])
    error_message = "every allowed_ssh_cidrs entry must be an IPv4 network in CIDR form with no host bits set, e.g. 203.0.113.0/24 or 198.51.100.7/32."
  }

  validation {
    condition     = var.allow_ssh_from_anywhere || alltrue([for c in var.allowed_ssh_cidrs : !endswith(c, "/0")])
    error_message = "allowed_ssh_cidrs contains 0.0.0.0/0, which opens the bastion's SSH to the whole internet; list your own ranges, or set allow_ssh_from_anywhere = true if you really mean it."
  }
}

variable "allow_ssh_from_anywhere" {
  description = "Must be true for allowed_ssh_cidrs to contain 0.0.0.0/0. Leave false."
  type        = bool
  default     = false
}

variable "ssh_user" {
  description = "Login user created on the bastion and the VMs (from instance metadata), with passwordless sudo."
  type        = string
  default     = "play"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_-]{0,31}$", var.ssh_user)) && var.ssh_user != "root"
    error_message = "ssh_user must be a POSIX user name (lowercase, up to 32 characters) other than root."
  }
}

variable "ssh_public_key" {
  description = "OpenSSH public key (one line) authorised for ssh_user on the bastion and the VMs."
  type        = string

  validation {
    condition     = can(regex("^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\\.com|sk-ecdsa-sha2-nistp256@openssh\\.com) [A-Za-z0-9+/]+=*( [^\\n]*)?$", trimspace(var.ssh_public_key)))
    error_message = "ssh_public_key must be one OpenSSH public key line, e.g. the content of ~/.ssh/id_ed25519.pub."
  }
}

variable "os_login" {
  description = "Use OS Login instead of the metadata key: ssh_user must then be your OS Login user name, and the key is managed with gcloud."
  type        = bool
  default     = false
}

variable "env" {
  description = "Environment label (env) of every machine, e.g. prod or staging; also an inventory group env_<env>."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9_-]{0,62}$", var.env))
    error_message = "env must be a GCP label value: lowercase letters, digits, _ or -, starting with a letter, at most 63 characters."
  }
}

variable "service" {
  description = "Service label (service) of every machine: the app the fleet runs; also an inventory group service_<service>."
  type        = string
  default     = "app"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_-]{0,62}$", var.service))
    error_message = "service must be a GCP label value: lowercase letters, digits, _ or -, starting with a letter, at most 63 characters."
  }
}

variable "vm_role" {
  description = "Role label (role) of the app VMs, and the inventory group playbooks target. The bastion's role is always bastion."
  type        = string
  default     = "app"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.vm_role)) && var.vm_role != "bastion"
    error_message = "vm_role must be lowercase letters, digits or _, start with a letter, and not be \"bastion\"."
  }
}

variable "labels" {
  description = "Extra labels for every machine. role, env and service are set by the variables above and cannot be overridden here."
  type        = map(string)
  default     = {}

  validation {
    condition = alltrue([
      for k, v in var.labels :
      can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v)) && !contains(["role", "env", "service"], k)
    ])
    error_message = "labels keys must be GCP label keys (lowercase, start with a letter), values lowercase letters, digits, _ or -, and role/env/service are reserved."
  }
}

variable "app_port" {
  description = "TCP port the service listens on in the VMs; reachable from the bastion (and health checks, if enabled) only."
  type        = number
  default     = 8080

  validation {
    condition     = var.app_port >= 1 && var.app_port <= 65535 && var.app_port != 22 && floor(var.app_port) == var.app_port
    error_message = "app_port must be a TCP port from 1 to 65535 other than 22."
  }
}

variable "allow_health_checks" {
  description = "Open app_port to Google's load-balancer health-check ranges (only needed behind a Google load balancer)."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "Protect the machines from `terraform destroy` and accidental deletion."
  type        = bool
  default     = false
}
