# Who may talk to whom:
#   allowed_ssh_cidrs --22--> bastion --22, app_port--> instances
# Everything else inbound is refused (security groups deny by default). Outbound is limited to
# SSH inside the VPC (bastion) and egress_tcp_ports to the internet (apt, registries).

resource "aws_security_group" "bastion" {
  name_prefix = "${var.name_prefix}-bastion-"
  description = "play bastion: SSH in from the operators' ranges only"
  vpc_id      = aws_vpc.fleet.id

  ingress {
    description = "SSH from the operators' ranges"
    protocol    = "tcp"
    from_port   = 22
    to_port     = 22
    cidr_blocks = var.allowed_ssh_cidrs
  }

  egress {
    description = "SSH to the instances in the VPC"
    protocol    = "tcp"
    from_port   = 22
    to_port     = 22
    cidr_blocks = [var.vpc_cidr]
  }

  egress {
    description = "The service port on the instances, for smoke tests"
    protocol    = "tcp"
    from_port   = var.app_port
    to_port     = var.app_port
    cidr_blocks = [var.vpc_cidr]
  }

  dynamic "egress" {
    for_each = toset(var.egress_tcp_ports)
    content {
      description = "TCP ${egress.value} to the internet (package mirrors, AWS APIs)"
      protocol    = "tcp"
      from_port   = egress.value
      to_port     = egress.value
      cidr_blocks = ["0.0.0.0/0"]
    }
  }

  tags = merge(local.common_tags, { Name = "${var.name_prefix}-bastion" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "vm" {
  name_prefix = "${var.name_prefix}-${var.vm_role}-"
  description = "play ${var.vm_role} instances: SSH and the service port from the bastion only"
  vpc_id      = aws_vpc.fleet.id

  ingress {
    description     = "SSH from the bastion"
    protocol        = "tcp"
    from_port       = 22
    to_port         = 22
    security_groups = [aws_security_group.bastion.id]
  }

  ingress {
    description     = "The service port from the bastion"
    protocol        = "tcp"
    from_port       = var.app_port
    to_port         = var.app_port
    security_groups = [aws_security_group.bastion.id]
  }

  dynamic "egress" {
    for_each = toset(var.egress_tcp_ports)
    content {
      description = "TCP ${egress.value} to the internet through the NAT (package mirrors, registries)"
      protocol    = "tcp"
      from_port   = egress.value
      to_port     = egress.value
      cidr_blocks = ["0.0.0.0/0"]
    }
  }

  tags = merge(local.common_tags, { Name = "${var.name_prefix}-${var.vm_role}" })

  lifecycle {
    create_before_destroy = true
  }
}
