"""Batchscope's loader runtime: training and DataLoader debugging, run with the user's interpreter."""

__version__ = "0.1.0"
