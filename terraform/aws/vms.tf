# The app instances: private subnets only (outbound through NAT), reachable on SSH from the
# bastion's security group alone. play pushes its agent to them over SSH via the bastion.

resource "aws_instance" "vm" {
  count = var.vm_count

  ami                     = local.ami_id
  instance_type           = var.vm_instance_type
  subnet_id               = aws_subnet.private[count.index % 2].id
  vpc_security_group_ids  = [aws_security_group.vm.id]
  iam_instance_profile    = aws_iam_instance_profile.vm.name
  key_name                = aws_key_pair.fleet.key_name
  user_data               = local.user_data
  monitoring              = var.detailed_monitoring
  ebs_optimized           = true
  disable_api_termination = var.termination_protection

  associate_public_ip_address = false

  # Hop limit 1 keeps the instance role's credentials away from containers on the host.
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

  tags        = merge(local.common_tags, { Name = format("%s-%s-%02d", var.name_prefix, replace(var.vm_role, "_", "-"), count.index + 1), Role = var.vm_role })
  volume_tags = merge(local.common_tags, { Name = format("%s-%s-%02d", var.name_prefix, replace(var.vm_role, "_", "-"), count.index + 1), Role = var.vm_role })

  lifecycle {
    ignore_changes = [ami]
  }

  depends_on = [aws_route_table_association.private, aws_nat_gateway.fleet]
}
