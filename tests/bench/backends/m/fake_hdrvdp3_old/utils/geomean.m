function m = geomean(x)
% Written for the itmn-bench tests: the stand-in docs/backends-hdrvdp3.md asks users to add.
m = exp(mean(log(x)));
end
