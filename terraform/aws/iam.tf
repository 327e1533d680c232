# Instance roles with only what each machine uses: the app instances read images from ECR;
# the bastion needs nothing. Session Manager (SSM) is an opt-in break-glass path for both.

locals {
  ec2_assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  managed_policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy"
}

resource "aws_iam_role" "bastion" {
  name_prefix        = "${var.name_prefix}-bastion-"
  description        = "play bastion instance role"
  assume_role_policy = local.ec2_assume_role_policy

  tags = merge(local.common_tags, { Name = "${var.name_prefix}-bastion", Role = "bastion" })
}

resource "aws_iam_instance_profile" "bastion" {
  name_prefix = "${var.name_prefix}-bastion-"
  role        = aws_iam_role.bastion.name

  tags = merge(local.common_tags, { Name = "${var.name_prefix}-bastion", Role = "bastion" })
}

resource "aws_iam_role" "vm" {
  name_prefix        = "${var.name_prefix}-${var.vm_role}-"
  description        = "play ${var.vm_role} instance role"
  assume_role_policy = local.ec2_assume_role_policy

  tags = merge(local.common_tags, { Name = "${var.name_prefix}-${var.vm_role}", Role = var.vm_role })
}

resource "aws_iam_instance_profile" "vm" {
  name_prefix = "${var.name_prefix}-${var.vm_role}-"
  role        = aws_iam_role.vm.name

  tags = merge(local.common_tags, { Name = "${var.name_prefix}-${var.vm_role}", Role = var.vm_role })
}

resource "aws_iam_role_policy_attachment" "vm_ecr_read" {
  role       = aws_iam_role.vm.name
  policy_arn = "${local.managed_policy_arn}/AmazonEC2ContainerRegistryReadOnly"
}

resource "aws_iam_role_policy_attachment" "ssm" {
  for_each = var.enable_ssm ? { bastion = aws_iam_role.bastion.name, vm = aws_iam_role.vm.name } : {}

  role       = each.value
  policy_arn = "${local.managed_policy_arn}/AmazonSSMManagedInstanceCore"
}
