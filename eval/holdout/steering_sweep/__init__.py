"""Contrastive activation addition (CAA) sweep: steer a chat model along a behaviour direction."""
