function ver = hdrvdp_version()
% Written for the itmn-bench tests: reports 3.07 like HDR-VDP 3.0.7.
ver = 3.07;
end
