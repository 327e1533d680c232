# Who may talk to whom:
#   allowed_ssh_cidrs --22--> bastion --22, app_port--> instances
# Everything else inbound is refused (security groups deny by default). Outbound is limited to
# SSH and app_port from the bastion to the instances' group, and egress_tcp_ports to the
# internet (apt, registries, AWS APIs). Rules are separate resources, one per CIDR or port, so
# a change to one range shows as one rule in the plan.

locals {
  rule_purpose = { ssh = "SSH", app = "The service port" }
}

resource "aws_security_group" "bastion" {
  name_prefix = "${var.name_prefix}-bastion-"
  description = "play bastion: SSH in from the operator ranges only"
  vpc_id      = aws_vpc.fleet.id

  tags = merge(local.common_tags, { Name = "${var.name_prefix}-bastion", Role = "bastion" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "vm" {
  name_prefix = "${var.name_prefix}-${var.vm_role}-"
  description = "play ${var.vm_role} instances: SSH and the service port from the bastion only"
  vpc_id      = aws_vpc.fleet.id

  tags = merge(local.common_tags, { Name = "${var.name_prefix}-${var.vm_role}", Role = var.vm_role })

  lifecycle {
    create_before_destroy = true
  }
}

# --- bastion ----------------------------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "ssh_to_bastion" {
  for_each = toset(var.allowed_ssh_cidrs)

  security_group_id = aws_security_group.bastion.id
  description       = "SSH from an operator range"
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_ipv4         = each.value

  tags = merge(local.common_tags, { Name = "${var.name_prefix}-ssh-from-${each.value}" })
}

resource "aws_vpc_security_group_egress_rule" "bastion_to_vms" {
  for_each = { ssh = 22, app = var.app_port }

  security_group_id            = aws_security_group.bastion.id
  description                  = "${local.rule_purpose[each.key]} to the ${var.vm_role} instances"
  ip_protocol                  = "tcp"
  from_port                    = each.value
  to_port                      = each.value
  referenced_security_group_id = aws_security_group.vm.id

  tags = merge(local.common_tags, { Name = "${var.name_prefix}-bastion-${each.key}-to-${var.vm_role}" })
}

resource "aws_vpc_security_group_egress_rule" "bastion_to_internet" {
  for_each = toset([for p in var.egress_tcp_ports : tostring(p)])

  security_group_id = aws_security_group.bastion.id
  description       = "TCP ${each.value} to the internet (package mirrors, AWS APIs)"
  ip_protocol       = "tcp"
  from_port         = tonumber(each.value)
  to_port           = tonumber(each.value)
  cidr_ipv4         = "0.0.0.0/0"

  tags = merge(local.common_tags, { Name = "${var.name_prefix}-bastion-out-${each.value}" })
}

# --- app instances ----------------------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "vm_from_bastion" {
  #checkov:skip=CKV_AWS_24:False positive: the check reads only cidr and security_groups fields, not referenced_security_group_id; this rule admits the bastion's security group and no address range (test_hcl.py asserts that).
  for_each = { ssh = 22, app = var.app_port }

  security_group_id            = aws_security_group.vm.id
  description                  = "${local.rule_purpose[each.key]} from the bastion"
  ip_protocol                  = "tcp"
  from_port                    = each.value
  to_port                      = each.value
  referenced_security_group_id = aws_security_group.bastion.id

  tags = merge(local.common_tags, { Name = "${var.name_prefix}-${var.vm_role}-${each.key}-from-bastion" })
}

resource "aws_vpc_security_group_egress_rule" "vm_to_internet" {
  for_each = toset([for p in var.egress_tcp_ports : tostring(p)])

  security_group_id = aws_security_group.vm.id
  description       = "TCP ${each.value} to the internet through the NAT (package mirrors, registries)"
  ip_protocol       = "tcp"
  from_port         = tonumber(each.value)
  to_port           = tonumber(each.value)
  cidr_ipv4         = "0.0.0.0/0"

  tags = merge(local.common_tags, { Name = "${var.name_prefix}-${var.vm_role}-out-${each.value}" })
}
