"""`make bench`: what cdk-workspace-image costs on top of AWS's own image build."""
