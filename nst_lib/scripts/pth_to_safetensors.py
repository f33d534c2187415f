"""Convert a PyTorch VGG checkpoint (.pth, any format, including the legacy pre-1.6 files that
candle cannot read) into a safetensors file nst_lib loads directly.

    pip install torch safetensors
    python3 nst_lib/scripts/pth_to_safetensors.py vgg19-dcbb9e9d.pth weights/vgg19.safetensors --flavour torchvision
    python3 nst_lib/scripts/pth_to_safetensors.py vgg19-d01eb7cb.pth weights/vgg19-caffe.safetensors --flavour caffe

Only the convolutional `features.N.weight/bias` tensors are kept (the classifier is not used for
style transfer). --flavour records the input convention in the file's metadata:
  torchvision  RGB in 0-1, minus ImageNet mean, divided by std (torchvision's own weights)
  caffe        BGR in 0-255, minus the mean pixel (Caffe/Keras conversions, e.g. vgg19-d01eb7cb.pth)
"""
import argparse
import torch
from safetensors.torch import save_file

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("src")
p.add_argument("dst")
p.add_argument("--flavour", choices=["torchvision", "caffe"], required=True)
a = p.parse_args()
obj = torch.load(a.src, map_location="cpu", weights_only=False)
state = obj.get("state_dict", obj) if isinstance(obj, dict) else obj.state_dict()
# Some checkpoints prefix names (e.g. "module." from DataParallel); keep the features.N part.
feats = {}
for k, v in state.items():
    i = k.find("features.")
    if i >= 0 and torch.is_tensor(v):
        feats[k[i:]] = v.detach().float().contiguous()
if not feats:
    raise SystemExit(f"{a.src}: no 'features.N.weight' tensors found; is this a VGG checkpoint?")
save_file(feats, a.dst, metadata={"nst.flavour": a.flavour, "source": a.src.split("/")[-1]})
print(f"wrote {a.dst}: {len(feats)} tensors, flavour {a.flavour}")
