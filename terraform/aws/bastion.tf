# The bastion: the fleet's only machine with a public address (an Elastic IP, so known_hosts
# and allowlists survive a rebuild), and the SSH jump host play connects through.

resource "aws_key_pair" "fleet" {
  key_name_prefix = "${var.name_prefix}-"
  public_key      = trimspace(var.ssh_public_key)

  tags = merge(local.common_tags, { Name = "${var.name_prefix}-operator" })
}

resource "aws_instance" "bastion" {
  ami                     = local.ami_id
  instance_type           = var.bastion_instance_type
  subnet_id               = aws_subnet.public[0].id
  vpc_security_group_ids  = [aws_security_group.bastion.id]
  iam_instance_profile    = aws_iam_instance_profile.bastion.name
  key_name                = aws_key_pair.fleet.key_name
  user_data               = local.user_data
  monitoring              = var.detailed_monitoring
  ebs_optimized           = true
  disable_api_termination = var.termination_protection

  # The Elastic IP below is the public address; nothing is assigned at launch.
  associate_public_ip_address = false

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = var.root_volume_size_gb
    encrypted             = true
    delete_on_termination = true
  }

  tags        = merge(local.common_tags, { Name = "${var.name_prefix}-bastion", Role = "bastion" })
  volume_tags = merge(local.common_tags, { Name = "${var.name_prefix}-bastion", Role = "bastion" })

  lifecycle {
    ignore_changes = [ami]
  }
}

resource "aws_eip" "bastion" {
  domain   = "vpc"
  instance = aws_instance.bastion.id

  tags = merge(local.common_tags, { Name = "${var.name_prefix}-bastion", Role = "bastion" })

  depends_on = [aws_internet_gateway.fleet]
}
