# Inputs of the AWS fleet. Values without a default (env, allowed_ssh_cidrs, ssh_public_key)
# must be given, e.g. in terraform.tfvars (see terraform.tfvars.example).

variable "region" {
  description = "AWS region of the fleet, e.g. eu-west-1."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must look like eu-west-1 or us-east-2."
  }
}

variable "availability_zones" {
  description = "The two availability zones for the public and private subnets. Empty means the region's first two."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.availability_zones) == 0 || (length(var.availability_zones) == 2 && alltrue([for az in var.availability_zones : startswith(az, var.region)]))
    error_message = "availability_zones must be empty or list exactly two zones of the chosen region, e.g. [\"eu-west-1a\", \"eu-west-1b\"]."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name and Name tag."
  type        = string
  default     = "fleet"

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$", var.name_prefix))
    error_message = "name_prefix must be 1-20 lowercase letters, digits or hyphens, start with a letter and not end with a hyphen."
  }
}

variable "vm_count" {
  description = "How many private app instances to run; they alternate between the two private subnets."
  type        = number
  default     = 2

  validation {
    condition     = var.vm_count >= 0 && var.vm_count <= 50 && floor(var.vm_count) == var.vm_count
    error_message = "vm_count must be a whole number from 0 to 50."
  }
}

variable "bastion_instance_type" {
  description = "Instance type of the bastion; it only forwards SSH."
  type        = string
  default     = "t3.micro"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.bastion_instance_type))
    error_message = "bastion_instance_type must be an EC2 instance type such as t3.micro."
  }
}

variable "vm_instance_type" {
  description = "Instance type of the app instances (they run Docker and the service)."
  type        = string
  default     = "t3.small"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.vm_instance_type))
    error_message = "vm_instance_type must be an EC2 instance type such as t3.small."
  }
}

variable "ami_id" {
  description = "AMI of every instance. Null looks up the newest official Debian 12 amd64 AMI (owner 136693071363); play's agent targets Debian 12 on x86_64."
  type        = string
  default     = null

  validation {
    condition     = var.ami_id == null || can(regex("^ami-[0-9a-f]{8,17}$", var.ami_id))
    error_message = "ami_id must be null or an AMI id such as ami-0123456789abcdef0."
  }
}

variable "root_volume_size_gb" {
  description = "Root volume size of every instance, in GiB (Docker images live there)."
  type        = number
  default     = 20

  validation {
    condition     = var.root_volume_size_gb >= 8 && var.root_volume_size_gb <= 2000
    error_message = "root_volume_size_gb must be between 8 and 2000."
  }
}

variable "vpc_cidr" {
  description = "IPv4 range of the VPC; the four subnets are /24s carved from it (public: netnums 0-1, private: 10-11)."
  type        = string
  default     = "10.30.0.0/16"

  validation {
    condition = (
      can(cidrnetmask(var.vpc_cidr))
      && try(cidrsubnet(var.vpc_cidr, 0, 0) == var.vpc_cidr, false)
      && try(tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 20, false)
    )
    error_message = "vpc_cidr must be an IPv4 network address with a prefix from /16 to /20, e.g. 10.30.0.0/16."
  }
}

variable "nat_gateway_per_az" {
  description = "One NAT gateway per availability zone (survives a zone outage) instead of a single shared one (cheaper)."
  type        = bool
  default     = false
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
  description = "Login user on the bastion and the instances. Debian's default user is admin; any other name is created by cloud-init with passwordless sudo."
  type        = string
  default     = "play"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_-]{0,31}$", var.ssh_user)) && var.ssh_user != "root"
    error_message = "ssh_user must be a POSIX user name (lowercase, up to 32 characters) other than root."
  }
}

variable "ssh_public_key" {
  description = "OpenSSH public key (one line, ed25519 or RSA: EC2 key pairs take no other kind) authorised for ssh_user and admin."
  type        = string

  validation {
    condition     = can(regex("^(ssh-ed25519|ssh-rsa) [A-Za-z0-9+/]+=*( [^\\n]*)?$", trimspace(var.ssh_public_key)))
    error_message = "ssh_public_key must be one ssh-ed25519 or ssh-rsa public key line, e.g. the content of ~/.ssh/id_ed25519.pub."
  }
}

variable "enable_ssm" {
  description = "Attach AmazonSSMManagedInstanceCore to the instance roles, for Session Manager as a break-glass path."
  type        = bool
  default     = false
}

variable "env" {
  description = "Environment (Env tag) of every resource, e.g. prod or staging; also an inventory group env_<env>."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9_-]{0,62}$", var.env))
    error_message = "env must be lowercase letters, digits, _ or -, starting with a letter, at most 63 characters."
  }
}

variable "service" {
  description = "Service (Service tag) of every resource: the app the fleet runs; also an inventory group service_<service>."
  type        = string
  default     = "app"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_-]{0,62}$", var.service))
    error_message = "service must be lowercase letters, digits, _ or -, starting with a letter, at most 63 characters."
  }
}

variable "vm_role" {
  description = "Role tag of the app instances, and the inventory group playbooks target. The bastion's role is always bastion."
  type        = string
  default     = "app"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.vm_role)) && var.vm_role != "bastion"
    error_message = "vm_role must be lowercase letters, digits or _, start with a letter, and not be \"bastion\"."
  }
}

variable "tags" {
  description = "Extra tags for every resource. Name, Role, Env and Service are set by this module and cannot be overridden here."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.tags) : !contains(["name", "role", "env", "service"], lower(k))])
    error_message = "tags must not set Name, Role, Env or Service: use name_prefix, vm_role, env and service."
  }
}

variable "app_port" {
  description = "TCP port the service listens on in the instances; reachable from the bastion only."
  type        = number
  default     = 8080

  validation {
    condition     = var.app_port >= 1 && var.app_port <= 65535 && var.app_port != 22 && floor(var.app_port) == var.app_port
    error_message = "app_port must be a TCP port from 1 to 65535 other than 22."
  }
}

variable "egress_tcp_ports" {
  description = "TCP ports the instances may open to the internet through the NAT (package mirrors, registries)."
  type        = list(number)
  default     = [80, 443]

  validation {
    condition     = length(var.egress_tcp_ports) > 0 && alltrue([for p in var.egress_tcp_ports : p >= 1 && p <= 65535 && floor(p) == p])
    error_message = "egress_tcp_ports must list at least one TCP port from 1 to 65535."
  }
}

variable "flow_log_retention_days" {
  description = "Days to keep VPC flow logs in CloudWatch Logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be a value CloudWatch Logs accepts, e.g. 30, 90, 365 or 731."
  }
}

variable "detailed_monitoring" {
  description = "Enable one-minute CloudWatch metrics on the instances (small extra cost)."
  type        = bool
  default     = true
}

variable "termination_protection" {
  description = "Protect the instances from `terraform destroy` and accidental termination."
  type        = bool
  default     = false
}
