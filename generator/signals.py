"""What making a meme tells the apps above it, which this app never imports."""

from django.dispatch import Signal

# A new meme's image is saved and committed (a redraw is not new); sent with sender=Meme and meme=the meme.
# The gallery announces it to the pages watching.
meme_made = Signal()
