function ver = hdrvdp_version()
% Written for the itmn-bench tests: reports 3.06 like HDR-VDP 3.0.6.
ver = 3.06;
end
